# One GET through R's curl package (curl_fetch_memory); prints the status.
suppressMessages(library(curl))
r <- curl_fetch_memory(commandArgs(TRUE)[1],
                       handle = new_handle(followlocation = TRUE))
cat(r$status_code, "\n", sep = "")
