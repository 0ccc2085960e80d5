# syntax=docker/dockerfile:1
#
# CartRecovery: one image for every role (Silo__Role = both | silo | gateway) and for the
# `migrate` schema job. Build from the repository root:
#
#   docker build -t cart-recovery:dev .
#
# The SDK stage runs on the build machine's own platform; the output is framework-dependent
# IL, so the same layers serve amd64 and arm64 runtime images (`docker buildx build --platform ...`).

ARG DOTNET_VERSION=10.0

# ---------------------------------------------------------------------------------------------
# Project files only: a stage whose output changes only when a project file, the central
# package versions or the package sources change, so the restore layer below stays cached
# across ordinary source edits. (Finding them here rather than listing each project by name
# means a new project can't be forgotten.)
FROM --platform=$BUILDPLATFORM mcr.microsoft.com/dotnet/sdk:${DOTNET_VERSION} AS projects
WORKDIR /src
COPY . .
RUN find . -type f \
      ! -name '*.csproj' ! -name 'Directory.Build.props' ! -name 'Directory.Packages.props' \
      ! -name 'Directory.Build.targets' ! -name 'nuget.config' ! -name 'global.json' \
      -delete \
 && find . -type d -empty -delete

# ---------------------------------------------------------------------------------------------
FROM --platform=$BUILDPLATFORM mcr.microsoft.com/dotnet/sdk:${DOTNET_VERSION} AS build
# The gateway's browser assets (the SignalR client) come from npm at build time.
RUN apt-get update \
 && apt-get install -y --no-install-recommends nodejs npm \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
ENV DOTNET_CLI_TELEMETRY_OPTOUT=1 \
    DOTNET_NOLOGO=1 \
    DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
# 1. npm manifests -> Gateway/wwwroot/lib/signalr.min.js (cached layer; with the file in place
#    Gateway.csproj skips its own `npm ci`)
COPY Gateway/package.json Gateway/package-lock.json Gateway/
RUN cd Gateway \
 && npm ci --no-audit --no-fund --loglevel=error \
 && mkdir -p wwwroot/lib \
 && cp node_modules/@microsoft/signalr/dist/browser/signalr.min.js wwwroot/lib/
# 2. project files (*.csproj, Directory.*.props, nuget.config) -> restore (cached layer)
COPY --from=projects /src/ ./
RUN dotnet restore Silo/Silo.csproj
# 3. the sources -> publish (the same command the deployment tests run)
COPY . .
RUN dotnet publish Silo/Silo.csproj -c Release -o /app --no-restore -p:UseAppHost=false

# ---------------------------------------------------------------------------------------------
# Runtime: the ASP.NET Core image. librdkafka is not installed from the distribution: the
# librdkafka.redist package ships it in the published app (runtimes/<rid>/native), and
# Streaming.Kafka binds to that copy.
FROM mcr.microsoft.com/dotnet/aspnet:${DOTNET_VERSION} AS runtime

# The base image's non-root `app` user (UID/GID 1654, also in $APP_UID). Kubernetes checks
# runAsNonRoot against a numeric USER, so it is given as a number.
ARG APP_UID=1654

# LightGBM's native library (model training) links against the GNU OpenMP runtime.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libgomp1 \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY --from=build /app ./
# The only places the process writes: /tmp (TMPDIR) and the embedded SQLite folder
# (Storage default "Data Source=.data/cartrecovery.db", relative to /app). With a read-only
# root filesystem both are mounted (emptyDir / PersistentVolumeClaim) by the Helm chart.
RUN mkdir -p /app/.data && chown ${APP_UID}:${APP_UID} /app/.data

# The app binds its own listener from Http__Port (or ASP.NET Core's URLs when given), so the base image's
# ASPNETCORE_HTTP_PORTS=8080 is cleared (it would only add a conflicting default binding).
# DOTNET_EnableDiagnostics=0: no debugger, profiler or diagnostic IPC socket, so nothing writes
# under a read-only root; set it to 1 (with a writable /tmp) to attach dotnet-counters/dump.
ENV Http__Port=8080 \
    ASPNETCORE_HTTP_PORTS= \
    ASPNETCORE_ENVIRONMENT=Production \
    TMPDIR=/tmp \
    DOTNET_EnableDiagnostics=0

USER ${APP_UID}:${APP_UID}

# 8080: public HTTP (API, SignalR hubs, admin dashboard, /health/*, /metrics)
# 11111: Orleans silo-to-silo; 30000: Orleans clients (gateway pods) to silos
EXPOSE 8080 11111 30000

# No curl/wget in the image: the app checks itself (GET http://127.0.0.1:$Http__Port/health/live,
# exit 0 when it answers 200). Kubernetes ignores HEALTHCHECK and uses the chart's probes.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["dotnet", "/app/CartRecovery.Silo.dll", "healthcheck"]

# Subcommands: (none) = server, `migrate`, `replay ...`, `model ...`. SIGTERM drains the silo
# (stream agents commit their partitions and hand them over), which can take ~30 s under load.
STOPSIGNAL SIGTERM
ENTRYPOINT ["dotnet", "/app/CartRecovery.Silo.dll"]
