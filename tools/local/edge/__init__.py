"""The local edge: ``lambda_src/edge/cutover.js`` in front of the local legacy and new API.

``edge.mjs`` is the CloudFront stand-in (Node, the real function file), ``store.py`` the
KeyValueStore kept in a local JSON file that ``cutover ... --local`` writes and the edge reads
on every request, ``launch.py`` starts the servers of the whole local path by PID.
"""
