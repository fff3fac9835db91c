#!/usr/bin/env python3
# A fake systemd NOTIFY_SOCKET for tests: binds a Unix datagram socket at argv[1] and prints
# each datagram as one JSON line on stdout (Node has no Unix datagram sockets). File
# descriptors passed along (systemd-notify's BARRIER=1) are closed at once, which is how
# systemd acknowledges a barrier.
import array, json, os, socket, sys

path = sys.argv[1]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
print(json.dumps({"listening": path}), flush=True)
while True:
    data, anc, _flags, _addr = s.recvmsg(65536, socket.CMSG_SPACE(16 * 4))
    for level, kind, payload in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds = array.array("i")
            fds.frombytes(payload[: len(payload) - (len(payload) % fds.itemsize)])
            for fd in fds:
                os.close(fd)
    print(json.dumps({"msg": data.decode("utf-8", "replace")}), flush=True)
