module blink-accounts.local/node/pause

go 1.26.0
