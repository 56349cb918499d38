import Fastify from 'fastify';

/** The baseline: a bare Fastify route returning a constant, on the same machine. */
const app = Fastify({ logger: false });
app.get('/readyz', async () => ({ ready: true }));
app.get('/constant', async () => ({ ok: true }));
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
