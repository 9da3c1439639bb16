#!/bin/sh
# A hostile trainer: writes a real model, then leaves something in {out}
# that would hang or redirect a reader - a FIFO, a symlink to a file
# outside, or a socket (python3) - and exits 0.
# usage: trainer_special_file.sh MNEMO BATCH_DIR OUT fifo|symlink|socket|dirlink
"$1" trainer builtin --batch-dir "$2" --out "$3" --seed 42 --quiet || exit 1
case $4 in
fifo) mkfifo "$3/metrics.fifo" ;;
symlink) echo "secret" > "$3/../outside.txt"; ln -s ../outside.txt "$3/notes.txt" ;;
model-fifo) rm -f "$3/model.bin"; mkfifo "$3/model.bin" ;;
socket) python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$3/sock" ;;
dirlink) mkdir -p "$3/sub"; ln -s /etc "$3/sub/etc" ;;
esac
echo "trainer_special_file: left a $4 in $3" >&2
