/** deploy/kfwd-role.yaml imported as text (`with { type: "text" }`), so the compiled kfwd carries it. */
declare module "*/deploy/kfwd-role.yaml" {
  const text: string;
  export default text;
}
