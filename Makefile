# Makefile for livetree. `make` alone lists the targets.

GO ?= go
GOFMT ?= $(shell $(GO) env GOROOT)/bin/gofmt
BIN ?= bin
# PKG limits test, bench and lint to some packages, e.g. PKG=./cdn/...
PKG ?= ./...
TEST_FLAGS ?=
RUN_FLAGS ?=
BENCH ?= .
BENCHTIME ?= 1s
BENCHCOUNT ?= 1
FUZZ ?= .
FUZZTIME ?= 10s
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

# GO_FILES lists the Go sources gofmt checks; like the go tool, it skips
# testdata, vendor, node_modules and hidden folders.
GO_FILES = find . -type d \( -name testdata -o -name vendor -o -name node_modules -o -name '.?*' \) -prune \
	-o -type f -name '*.go' -print

.PHONY: help deps build run test bench lint fmt fmt-check fuzz clean

help: ## List the targets.
	@echo 'usage: make TARGET [VAR=value ...]'
	@awk 'BEGIN { FS = ":.*## " } /^[a-zA-Z_-]+:.*## / { printf "  %-10s %s\n", $$1, $$2 }' $(MAKEFILE_LIST)
	@echo 'variables: GO PKG TEST_FLAGS RUN_FLAGS BENCH BENCHTIME BENCHCOUNT FUZZ FUZZTIME'

deps: ## Install the tools the tests need (scripts/deps.sh test).
	@bash scripts/deps.sh test

build: ## Build every main package under */cmd/* into bin/<name>.
	@mkdir -p $(BIN)
	@dirs=$$(ls -d */cmd/*/ 2>/dev/null || true); \
	pkgs=; \
	if [[ -n $$dirs ]]; then \
		pkgs=$$(for d in $$dirs; do echo "./$${d%/}"; done | xargs $(GO) list -e -f '{{if eq .Name "main"}}{{.ImportPath}}{{end}}'); \
	fi; \
	if [[ -z $$pkgs ]]; then echo 'build: no main packages under */cmd/*'; exit 0; fi; \
	$(GO) build -o $(BIN)/ $$pkgs; \
	for p in $$pkgs; do echo "build: $(BIN)/$${p##*/}"; done

run: ## Start the whole system locally with bin/devstack RUN_FLAGS; it prints a URL to watch.
	@bash scripts/deps.sh run
	@$(MAKE) --no-print-directory build
	@if [[ ! -x $(BIN)/devstack ]]; then \
		echo 'run: $(BIN)/devstack was not built (is bench/cmd/devstack there yet?)' >&2; exit 1; \
	fi
	exec $(BIN)/devstack $(RUN_FLAGS)

test: ## Install test tools, then go vet (Linux and macOS builds), gofmt check and go test -race of PKG.
	@bash scripts/deps.sh test
	$(GO) vet $(PKG)
	GOOS=darwin $(GO) vet $(PKG)
	@$(MAKE) --no-print-directory fmt-check
	@# The browser tests time real playback, so they run after the rest, alone.
	@pkgs=$$($(GO) list $(PKG) | grep -v '/bench/devstack$$' || true); \
	if [[ -n $$pkgs ]]; then echo '$(GO) test -race -count=1 -timeout 15m $(TEST_FLAGS) [all but bench/devstack]'; \
		$(GO) test -race -count=1 -timeout 15m $(TEST_FLAGS) $$pkgs; fi
	@pkgs=$$($(GO) list $(PKG) | grep '/bench/devstack$$' || true); \
	if [[ -n $$pkgs ]]; then echo '$(GO) test -race -count=1 -timeout 15m $(TEST_FLAGS) '"$$pkgs"; \
		$(GO) test -race -count=1 -timeout 15m $(TEST_FLAGS) $$pkgs; fi

bench: ## Run benchmarks matching BENCH for BENCHTIME; output also in bench.out.
	$(GO) test -run '^$$' -bench '$(BENCH)' -benchmem -benchtime $(BENCHTIME) -count $(BENCHCOUNT) $(PKG) 2>&1 | tee bench.out

lint: ## Run go vet, the gofmt check and staticcheck; fail if any complains.
	@rc=0; \
	echo '$(GO) vet $(PKG)'; $(GO) vet $(PKG) || rc=1; \
	$(MAKE) --no-print-directory fmt-check || rc=1; \
	echo 'staticcheck $(PKG)'; $(GO) run $(STATICCHECK) $(PKG) || rc=1; \
	exit $$rc

fmt: ## Rewrite Go files with gofmt.
	@files=$$($(GO_FILES)); if [[ -n $$files ]]; then $(GOFMT) -w $$files; fi

fmt-check: ## Fail if any Go file is not gofmt-formatted.
	@files=$$($(GO_FILES)); \
	bad=$$(if [[ -n $$files ]]; then $(GOFMT) -l $$files; fi); \
	if [[ -n $$bad ]]; then echo 'gofmt: these files need `make fmt`:'; echo "$$bad"; exit 1; fi

fuzz: ## Run every Fuzz target matching FUZZ for FUZZTIME each.
	@targets=$$( { $(GO_FILES) | grep '_test\.go$$' || true; } | sort | while read -r f; do \
		sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' "$$f" | while read -r name; do \
			echo "$$(dirname "$$f") $$name"; \
		done; \
	done | awk -v re='$(FUZZ)' '$$2 ~ re'); \
	if [[ -z $$targets ]]; then echo 'fuzz: no Fuzz targets found'; exit 0; fi; \
	while read -r dir name; do \
		echo "fuzz: $$dir $$name for $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) "$$dir" </dev/null; \
	done <<<"$$targets"

clean: ## Remove built binaries, bench.out and coverage files.
	rm -rf $(BIN) bench.out coverage.out coverage.html cover.out
