// The framework baseline for the benchmark: bare Fastify answering a constant JSON body.
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.get('/', async () => ({ hello: 'world' }));
await app.listen({ port: Number(process.env.PORT ?? 4211), host: '127.0.0.1' });
