# DeepTheory — the two set-up commands of the README are `make run` and `make test`.
# Both install what is missing on a fresh Debian machine first.

SWIFT ?= swift
REPORT_DIR ?= report
APT_PACKAGES = libopenblas-dev liblapacke-dev pkg-config

.PHONY: setup build release run test bench clean

setup:
	@bash scripts/setup.sh

build: setup
	$(SWIFT) build

release: setup
	$(SWIFT) build -c release

run: release
	$$($(SWIFT) build -c release --show-bin-path)/dlt report --output $(REPORT_DIR)
	@echo "open $(REPORT_DIR)/index.html"

test: setup
	$(SWIFT) build --build-tests
	$(SWIFT) test

bench: release
	$$($(SWIFT) build -c release --show-bin-path)/dlt-bench

clean:
	rm -rf .build $(REPORT_DIR)
