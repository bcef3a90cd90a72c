# One GET through Ruby's curb, following redirects; prints the status.
require "curb"
c = Curl::Easy.new(ARGV[0])
c.follow_location = true
c.perform
puts c.response_code
