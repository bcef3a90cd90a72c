# One GET through pycurl's Curl, following redirects; prints the status.
import sys
import pycurl

c = pycurl.Curl()
c.setopt(pycurl.URL, sys.argv[1])
c.setopt(pycurl.FOLLOWLOCATION, 1)
c.setopt(pycurl.WRITEFUNCTION, lambda b: None)
try:
    c.perform()
    print(c.getinfo(pycurl.RESPONSE_CODE))
except pycurl.error as e:
    print("error", e)
c.close()
