"""Guest side of SlowS3LinuxIT: while S3 holds every GET, one process reads files the gateway has not cached and
waits, and another process reads cached files and must finish meanwhile. Every read is O_DIRECT, so it reaches the
gateway; every file's bytes are checked. Phases are handed over with marker files in the shared work folder."""
import json, os, sys, threading, time

from guestlib import MNT, ShortRead, handover, md5_of

work = sys.argv[1]
mark, wait = handover(work)
files = json.load(open(os.path.join(work, 'files.json')))


# the uncached files' names are known (stat'ed), their bytes never read; the cached ones are read once
for path in files['cold']:
    os.stat(MNT + path)
for path, md5 in files['hot'].items():
    if md5_of(path) != md5:
        sys.exit('wrong bytes for ' + path)
mark('warm')
wait('stalled')

child = os.fork()
if child == 0:
    # the process that reads uncached data: one thread per file, each waiting on S3
    results = {}

    def read_cold(path):
        try:
            results[path] = md5_of(path)
        except (OSError, ShortRead) as e:
            results[path] = 'error: %s' % e

    threads = [threading.Thread(target=read_cold, args=(p,)) for p in files['cold']]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    mark('cold.json', results=results)
    os._exit(0)

wait('reads-waiting')
# the process that reads cached data, while every uncached READ waits on S3
started = time.time()
for _ in range(3):
    for path, md5 in files['hot'].items():
        if md5_of(path) != md5:
            sys.exit('wrong bytes for cached ' + path + ' while S3 stalls')
mark('hot-done', seconds=time.time() - started,
     cold_done=os.path.exists(os.path.join(work, 'cold.json')))
wait('released')
_, status = os.waitpid(child, 0)
if status != 0:
    sys.exit('the uncached reader failed: %d' % status)
results = json.load(open(os.path.join(work, 'cold.json')))['results']
for path, md5 in files['cold'].items():
    if results.get(path) != md5:
        sys.exit('wrong bytes for uncached %s: %s' % (path, results.get(path)))
print('cached files read in %.2f s while S3 stalled; %d uncached files read once S3 answered'
      % (json.load(open(os.path.join(work, 'hot-done')))['seconds'], len(results)))
