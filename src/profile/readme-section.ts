const START = "<!-- profile-reference:start -->";
const END = "<!-- profile-reference:end -->";

/** README with the generated profile reference between its markers (the schema is the only source). */
export function withReadmeReference(readme: string, reference: string): string {
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start === -1 || end < start) throw new Error(`README.md lacks the markers ${START} … ${END}`);
  return `${readme.slice(0, start + START.length)}\n${reference.trim()}\n${readme.slice(end)}`;
}
