/** The agent bundle imported as text (`with { type: "text" }`) for embedding in the compiled kfwd. */
declare module "*/dist/agent.js" {
  const text: string;
  export default text;
}
