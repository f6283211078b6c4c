/** The baseline binary for scenario 6: a hello-world Bun.serve, built with bun build --compile. */
Bun.serve({ hostname: "127.0.0.1", port: Number(process.env.PORT), routes: { "/health": Response.json({ status: "ok" }), "/ready": Response.json({ status: "ready" }) } });
