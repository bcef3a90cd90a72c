# One GET through R's curl multi interface (multi_run); prints the status.
suppressMessages(library(curl))
code <- "none"
invisible(multi_add(new_handle(url = commandArgs(TRUE)[1], followlocation = TRUE),
          done = function(r) code <<- r$status_code,
          fail = function(e) code <<- paste("error", e)))
invisible(multi_run())
cat(code, "\n", sep = "")
