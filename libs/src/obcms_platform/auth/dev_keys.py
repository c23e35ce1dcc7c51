"""Development-only Ed25519 key pair for internal tokens.

Published in the repository on purpose so that `make run` and the tests work with no setup.
Settings refuse these values in production mode (see ``ServiceSettings``).
"""

DEV_INTERNAL_PRIVATE_KEY = """-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIC9okXes5sfcJ8l1rruj4dy6yRtnODh33W2WfmS/n1KU
-----END PRIVATE KEY-----
"""

DEV_INTERNAL_PUBLIC_KEY = """-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEAizf/PjlqlpGGCiu/a9WomOQThYfE55eZwWrA+QxzjSw=
-----END PUBLIC KEY-----
"""
