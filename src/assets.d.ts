/** Files imported `with { type: "file" }` resolve to a path (inside the binary: /$bunfs/...). */
declare module "*.gz" {
  const path: string;
  export default path;
}
