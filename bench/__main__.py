"""`make bench`: run every benchmark in turn and print one line of figures each."""

from bench import start_roundtrip

start_roundtrip.main()
