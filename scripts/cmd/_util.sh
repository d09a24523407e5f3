# _util.sh: shell functions the scripts and the tests share, sourced (not a
# command). Nothing here needs a project.

# A TCP port on 127.0.0.1 free when asked (take it at once).
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
