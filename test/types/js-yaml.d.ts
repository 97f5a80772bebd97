/** js-yaml ships no types; the packaging config test only needs `load`. (js-yaml comes with electron-builder.) */
declare module 'js-yaml' {
  const yaml: { load(text: string): unknown };
  export default yaml;
}
