#!/bin/bash
# Baseline: the smallest hook users write by hand — a bash dispatcher on the
# phase that reads the domain XML and acts only on one domain.
guest=$1 op=$2 sub=$3
xml=$(cat)
case "$op/$sub" in
prepare/begin)
        case "$xml" in
        *urn:oemkvm:domain:1*) echo "would act on $guest" >/dev/null ;;
        esac
        ;;
esac
exit 0
