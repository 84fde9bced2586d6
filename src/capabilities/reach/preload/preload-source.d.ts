/** The preload's source, imported as text (`with { type: "text" }`) so the compiled kfwd carries it. */
declare module "*/kfwd-preload.cjs" {
  const text: string;
  export default text;
}
