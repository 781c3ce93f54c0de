# Developer entry points. The logic lives in scripts/*.sh; see docs/development.md.
#   make demo                 set up .venv and run the example project on 127.0.0.1:$(PORT)
#   make test                 ruff, import rules, mypy, docs, makemigrations, then the matrix
#   make test ARGS="-k foo"   extra pytest arguments
#   make test LEGS=dj6-sqlite only some legs (dj52-sqlite dj52-postgres dj6-sqlite dj6-postgres
#                             oscar demo)
#   make lint / make fmt      ruff, lint-imports, mypy / ruff fix + format

SHELL := /bin/bash
ARGS ?=
LEGS ?=
PORT ?= 8000

.PHONY: demo test lint fmt venv venvs postgres redis clean help

help:
	@sed -n '2,8p' Makefile | sed 's/^# \{0,1\}//'

demo:
	@PORT="$(PORT)" scripts/demo.sh

test:
	@LEGS="$(LEGS)" scripts/test.sh $(ARGS)

venv:
	scripts/venv.sh .venv 3.11 'Django>=5.2,<6'

venvs: venv
	scripts/venv.sh .venv-dj6 3.12 'Django>=6,<7'

postgres:
	scripts/postgres.sh

redis:
	scripts/redis.sh

lint: venv
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/lint-imports
	.venv/bin/mypy

fmt: venv
	.venv/bin/ruff check --fix .
	.venv/bin/ruff format .

clean:
	rm -rf .venv .venv-dj6 .pytest_cache .ruff_cache
