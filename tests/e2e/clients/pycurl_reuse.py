"""One pycurl handle reused across profiles and settings: the app's
callbacks get what they asked for, whatever tokenshim did on the
transfer before. Prints one line per check."""
import io
import sys

import pycurl

matched, unmatched = sys.argv[1], sys.argv[2]
c = pycurl.Curl()
body, heads = io.BytesIO(), []
c.setopt(pycurl.WRITEDATA, body)
c.setopt(pycurl.HEADERFUNCTION, heads.append)
c.setopt(pycurl.URL, matched + "?reuse=1")
c.perform()
print("matched", c.getinfo(pycurl.RESPONSE_CODE), b"790200" in body.getvalue())

# the same handle, a URL of no profile: the app's own buffer and header
# callback, as it set them before
body.seek(0)
body.truncate()
del heads[:]
c.setopt(pycurl.URL, unmatched + "?reuse=2")
c.perform()
print("unmatched", c.getinfo(pycurl.RESPONSE_CODE), len(body.getvalue()) > 0,
      any(h.startswith(b"HTTP/") for h in heads))

# a copy made now: its callbacks are the app's, on the copy's own data
d = c.duphandle()
body.seek(0)
body.truncate()
mine = io.BytesIO()
d.setopt(pycurl.WRITEDATA, mine)
d.setopt(pycurl.URL, unmatched + "?reuse=3")
d.perform()
print("copy", d.getinfo(pycurl.RESPONSE_CODE), len(mine.getvalue()) > 0,
      len(body.getvalue()) == 0)
d.close()

# the app's new write callback, back on the profile's URL
got = []
c.setopt(pycurl.WRITEFUNCTION, got.append)
c.setopt(pycurl.URL, matched + "?reuse=4")
c.perform()
print("new callback", c.getinfo(pycurl.RESPONSE_CODE), b"790200" in b"".join(got))
c.close()
