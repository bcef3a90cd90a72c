# One file(DOWNLOAD) of URL (cmake -DURL=... -DOUT=... -P); prints 200 on
# success (CMake fails the download on an HTTP error), else its status.
file(DOWNLOAD "${URL}" "${OUT}" STATUS st)
list(GET st 0 rc)
if(rc EQUAL 0)
  message("200")
else()
  message("error ${st}")
endif()
