// Follow a scoring job live with Motia's official Node stream client:
//   node streams/client.mjs [ws://localhost:3000] JOB_ID
// Prints each update of the job's `scoreJob` item and exits 0 once it is completed (1 if it failed).
import { Stream } from '@motiadev/stream-client-node'

const [url, jobId] = process.argv.length > 3 ? process.argv.slice(2) : ['ws://localhost:3000', process.argv[2]]
if (!jobId) {
  console.error('usage: node streams/client.mjs [ws://host:port] JOB_ID')
  process.exit(2)
}
const stream = new Stream(url)
const sub = stream.subscribeItem('scoreJob', jobId, jobId)
sub.addChangeListener((item) => {
  if (!item) return
  console.log(JSON.stringify(item))
  if (item.status === 'completed' || item.status === 'failed') {
    sub.close()
    stream.close()
    process.exit(item.status === 'completed' ? 0 : 1)
  }
})
