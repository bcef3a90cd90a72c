# One GET through pycurl's CurlMulti, following redirects; prints the
# status.
import sys
import pycurl

m = pycurl.CurlMulti()
c = pycurl.Curl()
c.setopt(pycurl.URL, sys.argv[1])
c.setopt(pycurl.FOLLOWLOCATION, 1)
c.setopt(pycurl.WRITEFUNCTION, lambda b: None)
m.add_handle(c)
running = 1
while running:
    ret, running = m.perform()
    if running:
        m.select(1.0)
_, ok, failed = m.info_read()
print(c.getinfo(pycurl.RESPONSE_CODE) if ok else "error %s" % failed)
m.remove_handle(c)
c.close()
