#!/usr/bin/env bash
# German and French speech for the language-check test (espeak-ng, then mono 16 kHz MP3 at 16 kbit/s).
# Run once from this folder: ./make_foreign_speech.sh (needs espeak-ng and the project's venv).
set -euo pipefail
FFMPEG=$(../../.venv/bin/python -c "import imageio_ffmpeg; print(imageio_ffmpeg.get_ffmpeg_exe())")
say() {  # voice, text, name
  espeak-ng -v "$1" -s 140 -w "/tmp/$3.wav" "$2"
  "$FFMPEG" -loglevel error -y -i "/tmp/$3.wav" -ac 1 -ar 16000 -b:a 16k "$3.mp3"
  rm "/tmp/$3.wav"
}
say de "Guten Abend und willkommen zu unserer Sendung. Heute sprechen wir über das Wetter in den Bergen und \
über die Wanderwege im Schwarzwald. Im Herbst färben sich die Blätter rot und gelb, und viele Familien gehen \
am Wochenende spazieren. Vergessen Sie nicht, warme Kleidung und etwas zu trinken mitzunehmen." german
say fr "Bonsoir et bienvenue dans notre émission. Aujourd'hui nous parlons de la cuisine du sud de la France \
et des marchés du dimanche matin. On y trouve des tomates, des olives, du fromage et du pain frais. \
N'oubliez pas de goûter la soupe de poisson, une spécialité de la région." french
