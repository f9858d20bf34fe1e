# DeepTheory — the two set-up commands of the README are `make run` and `make test`.
# Both install what is missing on a fresh Debian machine first (scripts/setup.sh).
#
# Everything builds in release mode with -enable-testing, so `make run`, `make test` and
# `make bench` share one build (the numerical tests are ~20× faster than in a debug build).

SWIFT ?= swift
REPORT_DIR ?= report
BUILD_FLAGS = -c release -Xswiftc -enable-testing

.PHONY: setup build mpi run test bench fuzz clean

setup:
	@bash scripts/setup.sh

build: setup
	$(SWIFT) build $(BUILD_FLAGS)

run: build
	$$($(SWIFT) build $(BUILD_FLAGS) --show-bin-path)/dlt report --output $(REPORT_DIR)
	@echo "open $(REPORT_DIR)/index.html"

# With Open MPI installed (scripts/setup.sh installs it), the MPI build of dlt goes to .build-mpi and the 2- and 3-rank
# tests run against it (Tests/CLITests: MPITests); the plain build never needs MPI. `swift test` runs on the
# --build-tests build (--skip-build): without it, swift test rebuilt everything with its own flags (2.3 min).
mpi: setup
	if command -v mpicc >/dev/null 2>&1; then DEEPTHEORY_MPI=1 $(SWIFT) build $(BUILD_FLAGS) --build-path .build-mpi --product dlt; fi

test: mpi
	$(SWIFT) build $(BUILD_FLAGS) --build-tests
	if command -v mpicc >/dev/null 2>&1; then export DLT_MPI_BINARY="$$(DEEPTHEORY_MPI=1 $(SWIFT) build $(BUILD_FLAGS) --build-path .build-mpi --show-bin-path)/dlt"; fi; \
	$(SWIFT) test $(BUILD_FLAGS) --skip-build

# The readers' mutation fuzzer (Tests/DataIOTests/FuzzTests.swift) at length — `make test` runs 1500 mutants per
# reader — then libFuzzer, coverage-guided, with AddressSanitizer, for FUZZ_SECONDS (scripts/fuzz.sh).
fuzz: setup
	$(SWIFT) build $(BUILD_FLAGS) --build-tests
	FUZZ_ITERATIONS=$${FUZZ_ITERATIONS:-200000} $(SWIFT) test $(BUILD_FLAGS) --skip-build --filter FuzzTests
	bash scripts/fuzz.sh

bench: build mpi
	bash bench/run.sh "$$($(SWIFT) build $(BUILD_FLAGS) --show-bin-path)"

clean:
	rm -rf .build .build-mpi .build-fuzz .fuzz $(REPORT_DIR)
