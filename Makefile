# The two commands a newcomer needs. Both install what they need first (see scripts/with-node.sh;
# the tests also need nginx for their edge, see scripts/ensure-nginx.sh).
.PHONY: demo test bench setup

demo:
	@./scripts/with-node.sh npm run --silent demo

test:
	@./scripts/ensure-nginx.sh
	@./scripts/with-node.sh npm test

bench:
	@./scripts/with-node.sh npm run --silent bench

setup:
	@./scripts/with-node.sh node --version
