#include "textflag.h"

// func Socket() int64
TEXT ·Socket(SB), NOSPLIT, $0-8
	MOVL $359, AX // __NR_socket on i386
	MOVL $2, BX   // AF_INET
	MOVL $1, CX   // SOCK_STREAM
	MOVL $0, DX
	INT  $0x80
	MOVQ AX, ret+0(FP)
	RET
