"""The spoken scripts of the sample catalog: four topics, four shows each, plus the special cases.

Kept apart from the generator so the tests can compare transcripts with what was spoken.
"""

TOPICS = {
    "astronomy": [
        ("Star Gazers Weekly", "Tonight we look at the planet Jupiter and its moons",
         "Welcome back to the show. Tonight we look at the planet Jupiter and its four large moons. "
         "If you point a small telescope at the night sky, you can see the moons move from one night to "
         "the next. Galileo saw the same thing four hundred years ago. The giant planet has a great red "
         "spot, a storm larger than the Earth that has lasted for centuries. Find a dark place, let your "
         "eyes adjust, and look toward the east after sunset."),
        ("Orbit and Beyond", "Life on board the space station",
         "Today we talk about astronauts on the space station. The station circles the planet every ninety "
         "minutes, and the crew sees sixteen sunrises each day. Astronauts float in zero gravity, so they "
         "exercise two hours a day to keep their bones strong. From the window they watch the Earth, the "
         "moon and the stars without any clouds in the way. Next year a new crew will launch on a rocket "
         "to visit the moon and study its craters."),
        ("The Telescope Hour", "Black holes and the light of distant galaxies",
         "In this episode we explore black holes and distant galaxies. A black hole is a place where "
         "gravity is so strong that not even light can escape. Astronomers find them by watching stars "
         "orbit something they cannot see. The light from distant galaxies left them billions of years "
         "ago, so a telescope is also a time machine. New space telescopes measure that ancient light "
         "and tell us how the universe grew."),
        ("Night Sky Notes", "Meteor showers, comets and the planets this month",
         "This month the night sky offers a meteor shower and two bright planets. Meteors are small "
         "grains of dust from a comet that burn up in the atmosphere. Look up after midnight, away from "
         "city lights, and you may count fifty shooting stars an hour. Venus shines in the west after "
         "sunset, and Mars rises late with its red color. Bring a warm blanket and let your eyes adapt "
         "to the dark."),
    ],
    "cooking": [
        ("Kitchen Table Talk", "The secret to a perfect loaf of bread",
         "Welcome to the kitchen. Today we bake a simple loaf of bread. You need flour, water, salt and "
         "yeast. Mix them, knead the dough for ten minutes, and let it rise in a warm place until it "
         "doubles. Shape the loaf, let it rise again, then bake it in a hot oven for forty minutes. "
         "The crust should be deep brown and the bottom should sound hollow when you tap it. Let the "
         "bread cool before you slice it."),
        ("Home Cooking Made Easy", "A quick tomato pasta sauce for busy nights",
         "Tonight we cook a quick tomato sauce for pasta. Warm olive oil in a pan, add chopped garlic "
         "and onion, and cook them until they are soft. Add a can of tomatoes, a pinch of salt and a "
         "little sugar, then let the sauce simmer for twenty minutes. Boil the pasta in salted water "
         "and save a cup of the cooking water. Toss the pasta with the sauce, add fresh basil and "
         "grated cheese, and dinner is ready."),
        ("The Spice Rack", "Roasting vegetables and seasoning with spices",
         "In this episode we roast vegetables and season them with spices. Cut carrots, potatoes and "
         "onions into even pieces so they cook at the same speed. Toss them with olive oil, salt, "
         "pepper, cumin and a little paprika. Spread them on a baking tray and roast them in a hot oven "
         "until the edges turn golden. A squeeze of lemon at the end brightens the flavor. Serve the "
         "vegetables with rice or fresh bread."),
        ("Sweet Oven", "Baking chocolate chip cookies with butter and sugar",
         "Today we bake chocolate chip cookies. Beat soft butter with brown sugar until the mixture is "
         "light, then add an egg and a spoon of vanilla. Stir in flour, baking soda and a pinch of salt, "
         "then fold in the chocolate chips. Chill the dough for an hour so the cookies keep their shape. "
         "Bake small balls of dough in the oven for ten minutes, until the edges are golden and the "
         "centers are still soft."),
    ],
    "finance": [
        ("Money Matters Daily", "How to build a simple monthly budget",
         "Welcome to the show about money. Today we build a simple monthly budget. Write down your "
         "income after taxes, then list your fixed costs like rent, insurance and loan payments. Set "
         "aside money for savings before you spend on anything else. Track what you spend on food and "
         "fun for one month, and you will see where your money goes. A budget is not a punishment, it "
         "is a plan for your money."),
        ("The Investing Desk", "Index funds, stocks and long term investing",
         "In this episode we talk about investing for the long term. An index fund buys a small piece "
         "of every company in a market, so your money is spread across many stocks. Fees matter, "
         "because a high fee takes a share of your returns every year. Investors who buy regularly and "
         "hold through bad markets usually do better than those who try to guess the next move. Start "
         "early and let interest compound."),
        ("Debt Free Living", "Paying off credit card debt and saving interest",
         "Today we pay off credit card debt. Credit cards charge high interest, so a balance grows fast "
         "if you only make the minimum payment. List your debts from the highest interest rate to the "
         "lowest and pay extra on the first one while you pay the minimum on the rest. Call your bank "
         "and ask for a lower rate. Once a card is paid off, move that payment to the next debt and "
         "keep going."),
        ("Retirement Ready", "Saving for retirement with a pension and savings account",
         "This week we plan for retirement. The earlier you save, the more time your savings have to "
         "grow with interest. If your employer matches your pension contributions, take the full match, "
         "because it is free money. Keep an emergency fund in a savings account for three to six months "
         "of expenses. Review your investments once a year and lower the risk as you get closer to the "
         "day you stop working."),
    ],
    "sports": [
        ("Full Court Press", "The playoffs, the final seconds and a game winning shot",
         "Welcome back to the show. Last night the basketball playoffs gave us a classic game. The home "
         "team trailed by two points with five seconds left on the clock. The point guard dribbled past "
         "two defenders and hit a three point shot at the buzzer. The crowd went wild. The coach said the "
         "players never stopped believing, and now the series moves to game seven on Sunday night."),
        ("The Locker Room", "How a football team builds its defense for the season",
         "Today we talk about football and how a team builds its defense. The coach studies the other "
         "team's quarterback and designs a game plan to pressure him. Linebackers must read the play "
         "quickly, and the cornerbacks cover the fast receivers. A strong defense wins championships, "
         "the old saying goes. This season the team allowed fewer touchdowns than any other team in the "
         "league."),
        ("Race Day Radio", "The city marathon: a new champion and a course record",
         "In this episode we talk about the big marathon race and its athletes. The defending champion "
         "led the race for twenty miles, but a young runner from the national team passed him near the "
         "stadium. The coach said the team trained at altitude all season. Fans lined the streets and "
         "cheered every athlete to the finish line. The winner broke the course record and took home the "
         "gold medal and the trophy."),
        ("Match Point", "The tennis final, a long rally and a new champion",
         "This week we relive the tennis final. The young player served well and won the first set, "
         "but the champion fought back with powerful forehands from the baseline. The match lasted four "
         "hours, and one rally had more than forty shots. In the end the new player won the tournament "
         "and lifted the trophy while the stadium cheered for both athletes."),
    ],
}

SPANISH = (
    "Bienvenidos a nuestro programa. Hoy hablamos de la cocina tradicional de España. La paella se "
    "prepara con arroz, azafrán, pollo y verduras en una sartén grande. Es importante no remover el "
    "arroz mientras se cocina, para que se forme una capa dorada en el fondo. Muchas familias comen "
    "paella los domingos, al mediodía, con amigos y vecinos."
)
SPANISH_2 = (
    "Hola a todos y bienvenidos. En este episodio hablamos del fútbol y de los equipos de la liga. "
    "El partido del sábado fue muy emocionante, con tres goles en la segunda parte. Los aficionados "
    "cantaron durante todo el partido y celebraron la victoria en las calles de la ciudad hasta muy "
    "tarde por la noche."
)

# Two real-length episodes (10+ minutes): conversations in turns, each turn in its speaker's voice.
# Each stays on its show's topic and moves through distinct subjects, minutes apart.
LONG = {
    "astronomy": ("The Long Night", "A whole night under the stars: the Moon, tides, eclipses and northern lights", [
        ("host", "Good evening and welcome to The Long Night, the show where we spend a whole episode under the "
                 "stars. I am your host, and with me tonight is an astronomer who has spent twenty years at "
                 "observatories on three continents. Welcome to the show."),
        ("guest", "Thank you. It is a pleasure to be here. I have been looking forward to a long conversation "
                  "about the sky, because there is so much to see with nothing more than your own eyes."),
        ("host", "Let us start at the beginning of a night. The sun has set, the sky is turning dark blue. "
                 "What should a beginner look for first?"),
        ("guest", "The first thing most people notice is the Moon, if it is up. The Moon is the easiest object "
                  "in the sky and also one of the most rewarding. Even a pair of binoculars shows mountains, "
                  "flat grey plains and thousands of craters. The plains are called seas, because early "
                  "astronomers thought they were filled with water. They are really old lava that cooled "
                  "billions of years ago."),
        ("host", "And the best time to look at the Moon is not when it is full, is that right?"),
        ("guest", "That is right. At full moon the sunlight falls straight down, so there are no shadows and "
                  "the surface looks flat. A few days after the new moon, or a few days before the last "
                  "quarter, the sunlight comes in at a low angle. Along the line between day and night the "
                  "crater walls cast long shadows, and the whole landscape seems to stand up from the surface."),
        ("host", "We have a question from a listener about the phases of the Moon."),
        ("listener", "Hello, I have always wondered why the Moon changes its shape during the month. My "
                     "daughter thinks it is the shadow of the Earth. Is she right?"),
        ("guest", "It is a lovely question, and a very common idea. The phases are not caused by the shadow "
                  "of the Earth. The Moon is always half lit by the sun, like any ball standing in sunlight. "
                  "As the Moon travels around the Earth once a month, we see more or less of its lit half. "
                  "When the Moon is between us and the sun, we see only the dark half, and that is the new "
                  "moon. When the Earth is between them, we see the whole lit half, and that is the full moon."),
        ("host", "So when does the shadow of the Earth fall on the Moon?"),
        ("guest", "Only during a lunar eclipse. That happens when the sun, the Earth and the Moon line up "
                  "exactly, always at full moon. The Moon slides into the shadow of our planet and turns a "
                  "deep copper red, because the only light that reaches it has passed through the atmosphere "
                  "of the Earth, the light of every sunrise and sunset on the planet at once."),
        ("host", "That is a beautiful picture. Let us stay with the Moon for a moment, because it does more "
                 "than shine. It moves the oceans."),
        ("guest", "Yes, the tides. The gravity of the Moon pulls a little harder on the side of the Earth that "
                  "faces it than on the far side. The oceans respond by forming two bulges of water, one "
                  "under the Moon and one on the opposite side. As the Earth turns, a coastline passes "
                  "through both bulges, so most beaches see two high tides and two low tides every day."),
        ("host", "And the sun helps as well?"),
        ("guest", "The sun helps, but less, because it is so far away. When the sun and the Moon pull in the "
                  "same line, at new moon and full moon, the tides are higher than usual. Sailors call those "
                  "spring tides, although they have nothing to do with the season. When the sun and the Moon "
                  "pull at right angles, at the quarter moons, the tides are weak, and those are the neap "
                  "tides. Fishermen have planned their work around this rhythm for thousands of years."),
        ("host", "Now, a solar eclipse is a very different event from a lunar eclipse. Many listeners will "
                 "travel to see one. What do they need to know?"),
        ("guest", "The most important thing is safety. Never look at the sun directly, not even when most of "
                  "it is covered. The light that remains is strong enough to burn the back of the eye, and "
                  "it does not hurt while it happens. Use proper eclipse glasses that meet the safety "
                  "standard, or make a pinhole projector from two pieces of card, and watch the image of the "
                  "sun on the lower card instead of the sun itself."),
        ("host", "And during the total phase?"),
        ("guest", "During totality, and only then, you can take the glasses off. The sky goes dark in the "
                  "middle of the day, the temperature drops, birds go quiet, and the pale corona of the sun "
                  "spreads out around the black disk of the Moon. It lasts only a few minutes. The moment the "
                  "first bright bead of sunlight returns, the glasses go back on."),
        ("listener", "I live far in the north. Sometimes people post pictures of green lights in the sky. "
                     "What are they, and how can I catch them?"),
        ("guest", "Those are the northern lights, the aurora. The sun blows a constant wind of charged "
                  "particles into space. When a strong gust reaches the Earth, the magnetic field guides the "
                  "particles toward the poles, where they strike the gas high in the atmosphere and make it "
                  "glow. Oxygen glows green, and at greater heights red. Nitrogen adds purple and blue at the "
                  "lower edge of the curtains."),
        ("host", "Is there a way to know in advance when they will appear?"),
        ("guest", "Space weather services publish forecasts a day or two ahead, based on what they see on "
                  "the sun. Look for a clear and moonless night, get away from the lights of town, and face "
                  "north. A phone camera often sees the colours better than your eyes do, so take a picture "
                  "even when the glow looks grey. And be patient. The aurora comes in waves, and the best "
                  "display of the night often arrives after midnight."),
        ("host", "Let us move away from the Earth. After the Moon, what is the next thing to find?"),
        ("guest", "The planets. They do not twinkle the way stars do, and they wander slowly against the "
                  "background from week to week. Saturn is my favourite. Even a small telescope shows its "
                  "rings as a thin bright ellipse around the ball of the planet. The rings are made of "
                  "countless pieces of ice, from grains of dust to blocks as big as a house, and yet they "
                  "are only a few tens of metres thick."),
        ("host", "Do the rings always look the same?"),
        ("guest", "No. Saturn takes about twenty nine years to go around the sun, and its rings are tilted. "
                  "Twice in each orbit we see them exactly edge on, and they almost disappear for a few "
                  "weeks. Galileo was puzzled by this, because the strange ears he had drawn beside the "
                  "planet were suddenly gone."),
        ("listener", "What about the stars themselves? Why do some look blue and others look orange?"),
        ("guest", "The colour of a star tells you its temperature. The hottest stars shine blue white, our "
                  "sun is yellow, and the coolest stars are orange and red. In winter, look at the "
                  "constellation of Orion. The star at his shoulder, Betelgeuse, is a red giant near the end "
                  "of its life, and the star at his foot, Rigel, is a hot blue giant. You can see the "
                  "difference in colour with your own eyes from a city street."),
        ("host", "We are near the end of our long night. What is your advice for someone who wants to keep "
                 "going after tonight?"),
        ("guest", "Start a notebook. Write the date, the time and what you saw, even if it was only the Moon "
                  "behind a cloud. Learn one new constellation each month. Find a local astronomy club, "
                  "because they run free evenings with telescopes and they love to share them. The sky is "
                  "the one laboratory that everyone on Earth can use for free, every clear night of their "
                  "life."),
        ("host", "Thank you for spending the night with us. To everyone listening, go outside, look up, and "
                 "let your eyes adjust to the dark. Good night."),
    ]),
    "cooking": ("Sunday Long Table", "A slow Sunday in the kitchen: stock, sourdough, knives and a market visit", [
        ("host", "Welcome to Sunday Long Table, the show where we cook slowly and talk even more slowly. "
                 "Today I am joined in the kitchen by a chef who ran a small restaurant for fifteen years and "
                 "now teaches home cooks. Welcome."),
        ("guest", "Thank you for having me. Sunday is my favourite day to cook, because nobody is in a hurry "
                  "and the kitchen can smell of something good for the whole afternoon."),
        ("host", "Let us begin with the thing you told me every cook should make at home, a good stock."),
        ("guest", "Yes. A pot of stock is the quiet foundation of so many dishes. Keep a bag in the freezer "
                  "for the ends of onions, carrot peels, celery leaves and the bones from a roast chicken. "
                  "When the bag is full, put everything in a large pot, cover it with cold water and bring "
                  "it slowly to a gentle simmer. Never let it boil hard, because boiling makes the stock "
                  "cloudy and greasy."),
        ("host", "How long does it cook?"),
        ("guest", "For chicken, about three hours. Skim the foam from the top in the first half hour, add a "
                  "bay leaf and a few peppercorns, and do not add salt yet. You will season the soup or the "
                  "sauce that you make with it later. Strain it, let it cool quickly, and it keeps for a week "
                  "in the fridge or months in the freezer."),
        ("listener", "Hello, I tried to make my own sourdough starter last month, but it smelled strange "
                     "and never rose. What did I do wrong?"),
        ("guest", "Do not give up, almost everyone has that experience. A starter is a small colony of wild "
                  "yeast and bacteria living in flour and water. In the first week it often smells sour or "
                  "even like nail polish, and that is normal. Feed it every day with equal weights of flour "
                  "and water, keep it somewhere warm, and throw away half before each feeding so the jar does "
                  "not overflow."),
        ("host", "How do you know when it is ready?"),
        ("guest", "When it doubles in size within a few hours of a feeding and smells pleasantly sour, like "
                  "yogurt. Whole grain rye flour helps a slow starter wake up. Chlorine in tap water can slow "
                  "it down as well, so let the water stand overnight or use filtered water. After two weeks "
                  "of patience, most starters are strong enough to raise a loaf."),
        ("host", "Let us talk about tools for a moment. You are very particular about knives."),
        ("guest", "A sharp knife is safer than a dull one. A dull blade slips on the skin of a tomato and "
                  "goes where you do not want it to go. You need only three knives, a large chef knife, a "
                  "small paring knife and a serrated bread knife. Hone the chef knife on a steel every time "
                  "you cook, and sharpen it on a whetstone a few times a year."),
        ("host", "And how should we hold it?"),
        ("guest", "Pinch the blade just in front of the handle between your thumb and the side of your "
                  "finger. With the other hand, make a claw, with the fingertips tucked back and the "
                  "knuckles guiding the flat side of the blade. Then the knife can never reach your "
                  "fingertips. Practise slowly on an onion, and speed will come by itself."),
        ("listener", "My family loves roast potatoes, but mine are always soft instead of crispy. Is there "
                     "a secret?"),
        ("guest", "There is, and it is simple. Peel the potatoes, cut them into large pieces and boil them "
                  "in salted water for about eight minutes, until the edges are soft. Drain them and shake "
                  "them in the pot with the lid on, so the surfaces turn rough and floury. Meanwhile heat the "
                  "fat in the roasting tray in a very hot oven. Tip the potatoes into the hot fat, turn them "
                  "once, and roast for about an hour. The rough edges become a golden crust."),
        ("host", "Now, every Sunday you start at the market. Why is that?"),
        ("guest", "Because the market tells you what to cook. Instead of bringing a shopping list, walk "
                  "through once and see what looks best that week. Ask the farmers what they are proud of. "
                  "In late summer it may be tomatoes so ripe they need nothing but salt and olive oil. In "
                  "winter it may be leeks, cabbage and squash, which are perfect for a slow soup made with "
                  "your own stock."),
        ("host", "And you are careful about waste as well."),
        ("guest", "Very careful. Stale bread becomes breadcrumbs or a summer bread salad. The stems of herbs "
                  "go into the stock bag. Overripe bananas go into the freezer for a cake. Plan a meal for the "
                  "end of the week that uses what is left in the fridge, a frittata, a fried rice or a big pot "
                  "of vegetable soup. It saves money, and it makes you a more creative cook."),
        ("listener", "One more question. How do I know when a steak is cooked the way I like it without "
                     "cutting it open?"),
        ("guest", "The most reliable way is a simple probe thermometer. For a medium rare steak, take it out "
                  "of the pan when the centre reaches about fifty two degrees, because the temperature keeps "
                  "rising while it rests. Let it rest on a warm plate for five minutes before you slice it, "
                  "so the juices stay in the meat instead of running onto the board."),
        ("host", "Before we finish, let us talk about spices, because you have a whole shelf of them."),
        ("guest", "Whole spices keep their flavour far longer than ground ones. Buy cumin seeds, coriander "
                  "seeds and black peppercorns whole, toast them in a dry pan for a minute until they smell "
                  "warm and nutty, and grind them just before you cook. Ground spices lose their aroma after "
                  "a few months in a jar, so buy small amounts and write the date on the lid."),
        ("listener", "My rice is always either sticky or burnt at the bottom. How do you cook plain rice?"),
        ("guest", "Rinse the rice in a bowl of cold water two or three times, until the water runs almost "
                  "clear. That washes away the loose starch that makes it sticky. Use one and a half cups of "
                  "water for each cup of long grain rice, bring it to a boil, cover the pan tightly and turn "
                  "the heat as low as it goes. After fifteen minutes, take the pan off the heat and leave the "
                  "lid on for ten more minutes. Then fluff the grains with a fork."),
        ("host", "And eggs. You once told me you judge a cook by an omelette."),
        ("guest", "I do. Beat two or three eggs with a pinch of salt until no streaks of white remain. Melt "
                  "a little butter in a small pan over medium heat, pour in the eggs, and stir quickly with a "
                  "fork while shaking the pan, so the curds stay small and soft. When the eggs are almost set "
                  "but still a little wet on top, roll the omelette onto a warm plate. It should be pale "
                  "yellow, with no brown colour at all."),
        ("host", "Last topic before dessert. Pickles. Your fridge is full of jars."),
        ("guest", "Quick pickles are the easiest way to keep vegetables for a few weeks. Slice cucumbers, "
                  "carrots or red onions thinly and pack them in a clean jar. Warm equal parts of vinegar "
                  "and water with a spoon of sugar and a spoon of salt, pour it over the vegetables, and "
                  "close the jar. After one night in the fridge they are bright, crunchy and sour, and they "
                  "wake up any sandwich or rice bowl."),
        ("host", "We have cooked all afternoon. What would you leave our listeners with?"),
        ("guest", "Taste as you go. Season a little at a time, taste, and season again. Cook for people you "
                  "love, and do not worry about mistakes, because a burnt onion teaches more than a "
                  "recipe. And set the table properly on Sunday, even if it is only for yourself."),
        ("host", "Thank you for cooking with us. Go to the market, start a pot of stock, and we will see you "
                 "at the long table next Sunday."),
    ]),
}
LONG_VOICES = {"host": "en-us+m3", "guest": "en-gb+f2", "listener": "en-us+f4"}
