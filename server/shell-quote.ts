/** `text` as one single-quoted POSIX shell word, so a printed command works whatever the data folder is called. */
export function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}
