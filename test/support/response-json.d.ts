// Test code reads many JSON bodies and asserts on their shape at run time (often against the
// TypeBox schemas); typing each as `unknown` first would only add casts.
interface Response {
  json(): Promise<any>;
}
