// Runs once when a server process starts: refuse to serve with an unsafe environment (Next only logs
// errors thrown here and keeps serving, so exit explicitly), then start the built-in scheduler.
export async function register() {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const { env, requireServerSecrets } = await import("./server/env.js");
  try {
    requireServerSecrets(env, process.env.NODE_ENV);
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  }
  const { startScheduler } = await import("./server/jobs/scheduler");
  startScheduler();
}
