#!/bin/sh
# Each replica advertises its own container address to the cluster (a replica cannot know it before it starts).
set -eu
if [ -z "${Orleans__Endpoints__AdvertisedIPAddress:-}" ]; then
  Orleans__Endpoints__AdvertisedIPAddress="$(hostname -i | awk '{print $1}')"
  export Orleans__Endpoints__AdvertisedIPAddress
fi
exec dotnet /app/OrleansDetect.Silo.dll "$@"
