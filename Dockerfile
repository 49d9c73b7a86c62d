# cairbot's image: built in one stage, run from a small one.
#   docker build --build-arg VERSION=$(git describe --tags --always) -t cairbot .
# See docs/DEPLOY.md.

# --- build: a static binary (no cgo), version stamped, time zones inside ---
FROM golang:1.26-alpine AS build
WORKDIR /src
# Modules first: this layer is reused while go.mod and go.sum stay the same.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
# timetzdata embeds the time zone database, so Europe/Paris is known
# whatever the runtime image carries.
RUN CGO_ENABLED=0 go build -trimpath -tags timetzdata \
      -ldflags "-s -w -X github.com/aurore/cairbot/bot.Version=${VERSION}" \
      -o /out/cairbot ./cmd/cairbot

# --- run: Alpine for pg_dump/pg_restore (`cairbot backup`/`restore`) ---
FROM alpine:3.22
# The PostgreSQL client must be of the server's major version or newer
# (compose.yaml runs PostgreSQL 17).
RUN apk add --no-cache ca-certificates postgresql17-client \
 && addgroup -S -g 10001 cairbot \
 && adduser -S -D -H -u 10001 -G cairbot -s /sbin/nologin cairbot \
 && mkdir /backups && chown 10001:10001 /backups && chmod 0700 /backups
COPY --from=build /out/cairbot /usr/local/bin/cairbot
USER 10001:10001
ENV LISTEN_ADDR=0.0.0.0:8080 \
    LOG_FORMAT=json
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD wget -q -O /dev/null http://127.0.0.1:8080/healthz || exit 1
ENTRYPOINT ["/usr/local/bin/cairbot"]
CMD ["run"]
