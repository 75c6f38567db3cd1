# The two commands a newcomer needs. Both install what they need first (see scripts/with-node.sh;
# the tests also need nginx for their edge, see scripts/ensure-nginx.sh).
.PHONY: demo test bench setup

# demo ends by saying how to run vakt from this checkout, with the Node that ran it (it may be
# the one with-node.sh installed, not the one on the user's PATH).
demo:
	@./scripts/with-node.sh npm run --silent demo
	@./scripts/with-node.sh sh -c 'printf "\nvakt from this checkout: %s bin/vakt.js --help\n" "$$(command -v node)"'

test:
	@./scripts/ensure-nginx.sh
	@./scripts/with-node.sh npm test

bench:
	@./scripts/with-node.sh npm run --silent bench

setup:
	@./scripts/with-node.sh node --version
