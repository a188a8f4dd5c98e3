// Text files bundled into the main process (esbuild and Vite both load `?raw` imports as strings).
declare module '*?raw' {
  const text: string;
  export default text;
}
