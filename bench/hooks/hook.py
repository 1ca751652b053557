#!/usr/bin/python3
# Baseline: the smallest hook users write in Python — read the domain XML,
# act on tagged domains at prepare begin only.
import sys

xml = sys.stdin.read()
if sys.argv[2:4] == ["prepare", "begin"] and "urn:oemkvm:domain:1" in xml:
    pass
sys.exit(0)
