"""Network policy shared by discovery and the tester: the guard every outbound connection
passes (:mod:`app.net.guard`), the TLS contexts (:mod:`app.net.tls`), the guarded HTTP
client (:mod:`app.net.http`) and the check whether a port speaks TLS
(:mod:`app.net.sniff`)."""
