from replay.server import main

main()
