from ctx.launch import main

main()
