"""`make bench`: every benchmark in turn, each printing its figures (`--full`: long runs too)."""

from bench import broadcast, digest, export, journey, people_first, start_roundtrip

start_roundtrip.main()
broadcast.main()
export.main()
digest.main()
journey.main()
people_first.main()
