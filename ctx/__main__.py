from ctx.cli.app import main

main()
