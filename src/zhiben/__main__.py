from zhiben.cli import main

main()
