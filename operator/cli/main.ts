// Entry point of the `blink-accounts` command line (and of the image, whose command is
// `operator run`). `operator …` loads only the operator process (operator-program.ts);
// every other command loads the whole CLI (program.ts). The operator has no use for the
// CLI's commands, CDKTF or the dev control plane, and loading them cost it memory and start-up
// time (bench/README.md, "The process itself").
await import(process.argv[2] === 'operator' ? './operator-program.js' : './program.js');
