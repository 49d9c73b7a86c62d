# cairbot — see README.md. `make run`: the bot with TELEGRAM_TOKEN, the
# sandbox in a browser page without it.
GO        ?= go
PKGS      := ./...
BIN       := bin/cairbot
# The version /healthz and `cairbot version` report: the git tag or commit.
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X github.com/aurore/cairbot/bot.Version=$(VERSION)

.PHONY: run build test test-crash lint bench services add-string i18n-translate i18n-apply

run: services
	@if [ -z "$$TELEGRAM_TOKEN" ]; then \
		echo "TELEGRAM_TOKEN is not set: starting the sandbox (no Telegram, demo data)."; \
		echo "For the real bot, create one with @BotFather, then: TELEGRAM_TOKEN=123456:ABC-your-token make run"; \
		exec $(GO) run ./cmd/cairbot sandbox; \
	fi
	@scripts/createdb.sh
	$(GO) run ./cmd/cairbot run

# A static binary (no cgo), as the Dockerfile builds it.
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/cairbot

# The end-to-end tests mostly wait (for River's scheduler, the fake
# Telegram): more of them run at once than there are cores.
test:
	@scripts/services.sh browser
	$(GO) test -race -count=1 -parallel 8 -timeout 45m $(PKGS)

# Real cairbot processes killed with SIGKILL at random moments, against the
# fake Telegram with Telegram's limits (docs/RELIABILITY.md). CI runs it.
test-crash: services
	$(GO) test -tags crash -count=1 -timeout 30m -v -run 'TestCrash' ./cmd/cairbot/

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)

bench: services
	scripts/bench.sh

# 100 centres × 200 residents on one deployment, each centre with its own
# bot, all announcing at once, then all their classes' reminders due at
# once (scripts/bench/centres; figures appended to docs/BENCHMARKS.md below
# the marker).
.PHONY: bench-centres
bench-centres: services
	@mkdir -p bin/bench
	CGO_ENABLED=0 $(GO) build -trimpath -o bin/bench/cairbot ./cmd/cairbot
	$(GO) run ./scripts/bench/centres -cairbot bin/bench/cairbot

# Starts PostgreSQL and Redis when they are not running (installing them
# from Debian's packages on a fresh machine).
services:
	@scripts/services.sh

# make add-string ID=menu.news TEXT="📰 News" — adds a message to every
# language file at once (English text everywhere until translated, and
# listed as untranslated by the completeness test).
add-string:
	@scripts/add-string.sh "$(ID)" "$(TEXT)"

# Translation workflow on go-i18n's own tooling (docs/LANGUAGES.md).
i18n-translate:
	@scripts/i18n-translate.sh "$(LANG)"

i18n-apply:
	@scripts/i18n-apply.sh "$(LANG)"
