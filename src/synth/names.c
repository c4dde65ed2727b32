/*
 * names.c
 *		Name stock of the synthetic borough (see names.h).
 *
 * The origins and their weights follow the make-up of Brent's population
 * (2021 Census: Indian, White Other -- Romanian, Polish, Portuguese --,
 * Black African, Caribbean, Pakistani, Arab, White British and Irish are the
 * largest groups).  Weights are per mille of households.  The names are
 * common forenames and family names of each group, with the alternative
 * Latin spellings and nicknames that council systems really see, and the
 * original-script form where the group writes its names in another script.
 */
#include "postgres.h"

#include "synth/names.h"


/* ---- English ---- */
static const char *const english[] = {
	"James||Jim,Jimmy,Jamie|", "John||Jack,Johnny|", "Robert||Bob,Rob,Bobby|",
	"William||Bill,Will,Billy|", "David||Dave|", "Richard||Rick,Dick,Rich|",
	"Thomas||Tom,Tommy|", "Michael||Mike,Mick|", "Christopher||Chris|",
	"Daniel||Dan,Danny|", "Edward||Ed,Ted,Eddie|", "Anthony|Antony|Tony|",
	"Matthew||Matt|", "Joseph||Joe|", "Oliver||Ollie|", "George|||", "Harry|||",
	"Stephen|Steven|Steve|", "Peter||Pete|", "Andrew||Andy,Drew|"};
static const char *const english_f[] = {
	"Margaret||Peggy,Maggie,Meg|", "Elizabeth||Liz,Beth,Lizzie,Betty|",
	"Catherine|Katherine,Kathryn|Kate,Cathy,Katie|", "Susan||Sue,Suzy|",
	"Jennifer||Jenny,Jen|", "Victoria||Vicky,Tori|", "Rebecca||Becky,Becca|",
	"Charlotte||Lottie,Charlie|", "Alexandra||Alex,Sasha|", "Emily||Em|",
	"Sophie|Sophia||", "Jessica||Jess|", "Deborah|Debra|Debbie,Deb|",
	"Patricia||Pat,Trish|", "Amelia||Millie|", "Olivia||Liv|", "Samantha||Sam|",
	"Helen|Helena||"};
static const char *const english_s[] = {
	"Smith|||", "Jones|||", "Taylor|||", "Brown|Browne||", "Wilson|||",
	"Johnson|Jonson||", "Davies|Davis||", "Robinson|||", "Wright|||",
	"Thompson|Thomson||", "Evans|||", "Walker|||", "White|||", "Roberts|||",
	"Green|Greene||", "Hall|||", "Wood|||", "Harris|Harries||", "Clarke|Clark||",
	"Hughes|||", "Edwards|||", "Turner|||"};

/* ---- Irish ---- */
static const char *const irish[] = {
	"Patrick||Pat,Paddy|", "Sean|Shaun,Shawn||", "Declan|||", "Ciaran|Kieran||",
	"Eoin|Owen||", "Brendan|||", "Liam|||", "Niall|Neil||", "Conor|Connor||",
	"Padraig|Padraic||", "Dermot|Diarmuid||", "Cathal|||"};
static const char *const irish_f[] = {
	"Siobhan|Shivaun||", "Niamh|Neve||", "Aoife|||", "Mairead|Maread||",
	"Bridget|Brigid|Biddy|", "Roisin|Rosheen||", "Orla|Orlagh||",
	"Sinead|Shinead||", "Grainne|Grania||", "Caoimhe|Keeva||", "Mary||Molly,Mae|"};
static const char *const irish_s[] = {
	"Murphy|||", "Kelly|||", "O'Brien|OBrien,O Brien||", "O'Sullivan|OSullivan||",
	"Walsh|Welsh||", "Byrne|Burns||", "Ryan|||", "O'Connor|OConnor,O'Conner||",
	"McCarthy|MacCarthy||", "Doyle|||", "Gallagher|Gallacher||", "Fitzgerald|||"};

/* ---- Indian: Gujarati ---- */
static const char *const gujarati[] = {
	"Rajesh||Raj|રાજેશ", "Dinesh|||દિનેશ", "Mahesh|||મહેશ", "Nilesh|||નિલેશ",
	"Hitesh|||હિતેશ", "Kiran|||કિરણ", "Amit|||અમિત", "Sanjay|Sanjai||સંજય",
	"Pravin|Praveen||પ્રવિણ", "Jayesh|||જયેશ", "Ketan|||કેતન", "Bharat|||ભરત"};
static const char *const gujarati_f[] = {
	"Priya|||પ્રિયા", "Hema|||હેમા", "Nisha|||નિશા", "Bhavna|Bhavana||ભાવના",
	"Jyoti|Jyothi||જ્યોતિ", "Meena|Mina||મીના", "Kalpana|||કલ્પના", "Sonal|||સોનલ",
	"Hetal|||હેતલ", "Dipti|Deepti||દીપ્તિ", "Rekha|||રેખા"};
static const char *const gujarati_s[] = {
	"Patel|||પટેલ", "Shah|||શાહ", "Mehta|||મહેતા", "Desai|||દેસાઈ", "Joshi|||જોશી",
	"Parmar|||પરમાર", "Solanki|||સોલંકી", "Modi|||મોદી", "Thakkar|Thakker||ઠક્કર",
	"Pandya|Pandiya||પંડ્યા", "Chauhan|||ચૌહાણ", "Vaghela|Waghela||વાઘેલા"};

/* ---- Indian: Punjabi (Gurmukhi) ---- */
static const char *const punjabi[] = {
	"Gurpreet|||ਗੁਰਪ੍ਰੀਤ", "Harpreet|||ਹਰਪ੍ਰੀਤ", "Jaswinder|||ਜਸਵਿੰਦਰ",
	"Manjit|Manjeet||ਮਨਜੀਤ", "Sukhwinder||Sukhi|ਸੁਖਵਿੰਦਰ", "Kuldip|Kuldeep||ਕੁਲਦੀਪ",
	"Baljit|Baljeet||ਬਲਜੀਤ", "Amarjit|Amarjeet||ਅਮਰਜੀਤ", "Gurdeep|Gurdip||ਗੁਰਦੀਪ",
	"Ranjit|Ranjeet||ਰਣਜੀਤ"};
static const char *const punjabi_f[] = {
	"Harjit|Harjeet||ਹਰਜੀਤ", "Simran|||ਸਿਮਰਨ", "Navneet|||ਨਵਨੀਤ",
	"Rajinder|Rajindar||ਰਾਜਿੰਦਰ", "Jasbir|Jasbeer||ਜਸਬੀਰ", "Parminder|||ਪਰਮਿੰਦਰ",
	"Manpreet|||ਮਨਪ੍ਰੀਤ", "Kamaljit|Kamaljeet||ਕਮਲਜੀਤ"};
static const char *const punjabi_s[] = {
	"Singh|||ਸਿੰਘ", "Kaur|||ਕੌਰ", "Sandhu|||ਸੰਧੂ", "Gill|||ਗਿੱਲ", "Dhillon|||ਢਿੱਲੋਂ",
	"Sidhu|||ਸਿੱਧੂ", "Bains|||ਬੈਂਸ", "Grewal|||ਗਰੇਵਾਲ", "Johal|||ਜੌਹਲ",
	"Sahota|||ਸਹੋਤਾ"};

/* ---- Indian and Sri Lankan: Tamil ---- */
static const char *const tamil[] = {
	"Suresh|||சுரேஷ்", "Ramesh|||ரமேஷ்", "Murugan|||முருகன்", "Senthil|||செந்தில்",
	"Karthik|Karthick||கார்த்திக்", "Kumar|||குமார்", "Rajan|||ராஜன்",
	"Ganesh|||கணேஷ்", "Siva|Shiva||சிவா", "Vijay|||விஜய்"};
static const char *const tamil_f[] = {
	"Lakshmi|Laxmi||லட்சுமி", "Priya|||பிரியா", "Kavitha|Kavita||கவிதா",
	"Meena|||மீனா", "Devi|||தேவி", "Anitha|Anita||அனிதா", "Malathi|Malathy||மாலதி",
	"Shanthi|Shanti||சாந்தி"};
static const char *const tamil_s[] = {
	"Sivakumar|||சிவகுமார்", "Krishnan|||கிருஷ்ணன்",
	"Rajaratnam|||ராஜரத்தினம்", "Subramaniam|Subramanian||சுப்பிரமணியம்",
	"Thevarajah|Thevaraja||தேவராஜா", "Selvarajah|Selvaraja||செல்வராஜா",
	"Navaratnam|||நவரத்தினம்", "Arumugam|||ஆறுமுகம்", "Kandiah|Kandaiah||கந்தையா"};

/* ---- Sri Lankan: Sinhala ---- */
static const char *const sinhala[] = {
	"Nuwan|||නුවන්", "Chaminda|||චමින්ද", "Ruwan|||රුවන්", "Kasun|||කසුන්",
	"Saman|||සමන්", "Pradeep|Pradip||ප්‍රදීප්", "Lasantha|||ලසන්ත"};
static const char *const sinhala_f[] = {
	"Nadeeka|Nadika||නදීකා", "Dilani|||දිලානි", "Chathurika|||චතුරිකා",
	"Sanduni|||සඳුනි", "Ishara|||ඉෂාරා", "Malini|||මාලිනී"};
static const char *const sinhala_s[] = {
	"Perera|||පෙරේරා", "Fernando|||ප්‍රනාන්දු", "Silva|De Silva||සිල්වා",
	"Jayasuriya|Jayasooriya||ජයසූරිය", "Wickramasinghe|Wickremesinghe||වික්‍රමසිංහ",
	"Bandara|||බණ්ඩාර", "Dissanayake|||දිසානායක", "Gunawardena|Gunawardane||ගුණවර්ධන"};

/* ---- Pakistani (Urdu, Arabic script) ---- */
static const char *const pakistani[] = {
	"Muhammad|Mohammed,Mohammad,Mohamed|Mo|محمد", "Imran|||عمران", "Asif|||آصف",
	"Tariq|Tarik||طارق", "Bilal|||بلال", "Usman|Osman||عثمان", "Zubair|Zubayr||زبیر",
	"Faisal|Faysal||فیصل", "Kamran|||کامران", "Adeel|Adil||عدیل",
	"Hamza|Hamzah||حمزہ", "Shahid|Shahed||شاہد"};
static const char *const pakistani_f[] = {
	"Ayesha|Aisha,Aysha||عائشہ", "Fatima|Fatimah||فاطمہ", "Sana|Sanaa||ثناء",
	"Nadia|Nadiya||نادیہ", "Saima|Saema||صائمہ", "Rabia|Rabiya||رابعہ",
	"Hina|Heena||حنا", "Samina|Sameena||ثمینہ", "Nazia|||نازیہ", "Amna|Aamna||آمنہ"};
static const char *const pakistani_s[] = {
	"Khan|||خان", "Chaudhry|Choudhury,Chowdhury,Chaudhary||چوہدری",
	"Ahmed|Ahmad||احمد", "Hussain|Hussein,Husain||حسین", "Malik|||ملک",
	"Iqbal|||اقبال", "Butt|Bhatt||بٹ", "Raja|||راجہ", "Qureshi|Qureshy,Kureshi||قریشی",
	"Shah|||شاہ", "Mirza|||مرزا", "Akhtar|Akhter||اختر", "Rehman|Rahman||رحمان"};

/* ---- Bangladeshi (Bengali) ---- */
static const char *const bangladeshi[] = {
	"Mohammed|Muhammad,Mohammad,Md||মোহাম্মদ", "Abdul|||আব্দুল",
	"Rahim|Raheem||রহিম", "Karim|||করিম", "Jamal|||জামাল", "Shahid|Shahed||শহীদ",
	"Rafiq|Rafique||রফিক", "Anwar|Anowar||আনোয়ার", "Habib|||হাবিব",
	"Sohel|Shohel||সোহেল"};
static const char *const bangladeshi_f[] = {
	"Fatema|Fatima||ফাতেমা", "Nasrin|Nasreen||নাসরিন", "Rokeya|Rokeia||রোকেয়া",
	"Shirin|Shireen||শিরিন", "Rubina|Rubena||রুবিনা", "Salma|||সালমা",
	"Taslima|Taslema||তাসলিমা", "Jesmin|Jasmin,Yasmin||জেসমিন",
	"Ruksana|Rukhsana||রুকসানা", "Shapla|||শাপলা"};
static const char *const bangladeshi_s[] = {
	"Begum|||বেগম", "Uddin|Udin||উদ্দিন", "Miah|Mia,Meah||মিয়া",
	"Rahman|Rehman||রহমান", "Islam|||ইসলাম", "Hossain|Hussain,Hosen||হোসেন",
	"Ahmed|Ahmad||আহমেদ", "Chowdhury|Choudhury,Chaudhry||চৌধুরী",
	"Khatun|Khatoon||খাতুন", "Ali|||আলী", "Alam|||আলম"};

/* ---- Somali (Latin script, Somali orthography as an alternative) ---- */
static const char *const somali[] = {
	"Abdi|Abdy||", "Mohamed|Mohammed,Muhammad,Maxamed||", "Ahmed|Axmed||",
	"Hassan|Xasan||", "Abdirahman|Cabdiraxmaan||", "Omar|Cumar||",
	"Yusuf|Yuusuf||", "Ismail|Ismaaciil||", "Ali|Cali||", "Farah|Faarax||",
	"Abdullahi|Cabdullaahi||", "Osman|Cusmaan||"};
static const char *const somali_f[] = {
	"Amina|Aamina||", "Fadumo|Faadumo,Fatuma||", "Hodan|||", "Asha|Aisha,Caasha||",
	"Sahra|Sahro||", "Hawa|Xaawo||", "Ifrah|Ifraah||", "Nasra|||", "Ubah|Ubax||",
	"Khadija|Khadiijo||"};
static const char *const somali_s[] = {
	"Hassan|Xasan||", "Mohamed|Mohammed,Maxamed||", "Ali|Cali||", "Abdi|||",
	"Farah|Faarax||", "Warsame|Warsama||", "Jama|Jaamac||", "Egal|Cigaal||",
	"Hersi|Xirsi||", "Duale|Ducaale||", "Nur|Nuur||", "Aden|Aadan||"};

/* ---- Eritrean (Tigrinya, Ge'ez script) ---- */
static const char *const eritrean[] = {
	"Tesfay|Tesfai||ተስፋይ", "Yonas|||ዮናስ", "Dawit|||ዳዊት", "Samuel||Sami|ሳሙኤል",
	"Berhane|Berhan||ብርሃነ", "Mehari|||መሓሪ", "Filmon|Filimon||ፊልሞን",
	"Henok|Enoch||ሄኖክ"};
static const char *const eritrean_f[] = {
	"Senait|Senayt||ሰናይት", "Helen|||ሄለን", "Selam|Salam||ሰላም", "Lula|||ሉላ",
	"Saba|||ሳባ", "Mebrat|||መብራት", "Ruth|||ሩት", "Tsega|Tsegga||ጸጋ"};
static const char *const eritrean_s[] = {
	"Tesfamariam|||ተስፋማርያም", "Ghebremedhin|Gebremedhin||ገብረመድህን",
	"Haile|||ሃይለ", "Kidane|||ኪዳነ", "Tekle|Tekleh||ተኽለ", "Woldu|||ወልዱ",
	"Berhe|||በርሀ", "Gebreyesus|Ghebreyesus||ገብረየሱስ"};

/* ---- Nigerian (Yoruba, Igbo, Hausa) ---- */
static const char *const nigerian[] = {
	"Oluwaseun||Seun|", "Adebayo||Bayo|", "Chinedu||Nedu|", "Emeka|||",
	"Olumide||Mide|", "Babatunde||Tunde|", "Chukwuemeka||Emeka|",
	"Oluwafemi||Femi|", "Ikechukwu||Ike|", "Tobiloba||Tobi|", "Obinna|||",
	"Kayode|||"};
static const char *const nigerian_f[] = {
	"Chioma|||", "Ngozi|||", "Folake|||", "Adaeze||Ada|", "Oluwatoyin||Toyin|",
	"Funmilayo||Funmi|", "Blessing|||", "Temitope||Tope|", "Nneka|||",
	"Yetunde||Yetty|", "Abimbola||Bimbo|"};
static const char *const nigerian_s[] = {
	"Okafor|||", "Adeyemi|||", "Okonkwo|||", "Adebayo|||", "Balogun|||", "Eze|||",
	"Ogunleye|||", "Nwosu|||", "Olawale|||", "Obi|||", "Adeleke|||", "Ibrahim|||"};

/* ---- Ghanaian ---- */
static const char *const ghanaian[] = {
	"Kwame|||", "Kofi|||", "Kwabena|||", "Kwaku|||", "Yaw|||", "Kojo|||",
	"Emmanuel||Emma|", "Samuel||Sam|", "Kwesi|Kweku||", "Nana|||"};
static const char *const ghanaian_f[] = {
	"Ama|||", "Akosua|||", "Abena|||", "Adwoa|Adjoa||", "Efua|Effua||",
	"Afua|Afia||", "Esi|||", "Yaa|||", "Comfort|||", "Gifty|||"};
static const char *const ghanaian_s[] = {
	"Mensah|||", "Asante|||", "Owusu|||", "Boateng|||", "Osei|||",
	"Acheampong|Achiampong||", "Appiah|||", "Agyeman|Agyemang||", "Ansah|||",
	"Darko|||", "Addo|||", "Amoah|||"};

/* ---- Caribbean ---- */
static const char *const caribbean[] = {
	"Marcus|||", "Delroy|||", "Winston|||", "Leroy|||", "Devon|||", "Andre|||",
	"Tyrone|||", "Clive|||", "Errol|||", "Lloyd|||", "Jermaine|||", "Curtis|||"};
static const char *const caribbean_f[] = {
	"Marcia|||", "Sonia|||", "Beverley|Beverly|Bev|", "Claudette|||",
	"Paulette|||", "Yvonne|||", "Janet|||", "Shanice|||", "Donna|||", "Simone|||",
	"Natalie||Nat|"};
static const char *const caribbean_s[] = {
	"Campbell|||", "Brown|||", "Williams|||", "Thompson|Thomson||", "Clarke|Clark||",
	"Francis|||", "Grant|||", "Morgan|||", "Samuels|||", "Henry|||", "Reid|Reed||",
	"Bailey|||"};

/* ---- Polish ---- */
static const char *const polish[] = {
	"Piotr|||", "Krzysztof|||", "Tomasz|||", "Paweł|Pawel||", "Łukasz|Lukasz||",
	"Michał|Michal||", "Marcin|||", "Grzegorz|||", "Jakub||Kuba|",
	"Wojciech||Wojtek|", "Andrzej|||", "Mateusz|||"};
static const char *const polish_f[] = {
	"Anna||Ania|", "Katarzyna||Kasia|", "Małgorzata|Malgorzata|Gosia|",
	"Agnieszka|||", "Magdalena||Magda|", "Joanna||Asia|", "Ewa|Eva||",
	"Aleksandra|Alexandra|Ola|", "Monika|||", "Żaneta|Zaneta||"};
static const char *const polish_s[] = {
	"Nowak|||", "Kowalski|||", "Wiśniewski|Wisniewski||", "Wójcik|Wojcik||",
	"Kowalczyk|||", "Kamiński|Kaminski||", "Lewandowski|||",
	"Zieliński|Zielinski||", "Szymański|Szymanski||", "Woźniak|Wozniak||",
	"Dąbrowski|Dabrowski||", "Kozłowski|Kozlowski||"};

/* ---- Romanian ---- */
static const char *const romanian[] = {
	"Ion|Ioan||", "Andrei|||", "Mihai|||", "Ștefan|Stefan,Ştefan||", "Florin|||",
	"Gheorghe|George||", "Constantin||Costel|", "Alexandru||Alex|",
	"Cristian||Cristi|", "Bogdan|||", "Ionuț|Ionut||", "Marius|||"};
static const char *const romanian_f[] = {
	"Maria|||", "Elena|||", "Ioana|||", "Andreea|Andrea||", "Mihaela|||",
	"Alexandra|||", "Cristina|||", "Gabriela||Gabi|", "Florentina|||", "Ana|||",
	"Nicoleta|||"};
static const char *const romanian_s[] = {
	"Popescu|||", "Ionescu|||", "Popa|||", "Dumitru|||", "Stan|||", "Stoica|||",
	"Gheorghe|||", "Matei|||", "Constantin|||", "Rusu|||", "Munteanu|||",
	"Mureșan|Muresan,Mureşan||", "Lungu|||", "Ciobanu|||"};

/* ---- Portuguese and Brazilian ---- */
static const char *const portuguese[] = {
	"João|Joao||", "José|Jose||", "António|Antonio,Antônio||", "Carlos|||",
	"Paulo|||", "Pedro|||", "Luís|Luis,Luiz||", "Rafael|Raphael||",
	"Thiago|Tiago||", "Lucas|||", "Gabriel|||", "Marcelo|||"};
static const char *const portuguese_f[] = {
	"Ana|||", "Maria|||", "Mariana|||", "Beatriz||Bia|", "Juliana|||",
	"Fernanda|||", "Camila|||", "Inês|Ines||", "Luísa|Luisa,Luiza||",
	"Conceição|Conceicao||"};
static const char *const portuguese_s[] = {
	"Silva|da Silva||", "Santos|dos Santos||", "Ferreira|||", "Pereira|||",
	"Oliveira|de Oliveira||", "Costa|da Costa||", "Rodrigues|||", "Martins|||",
	"Sousa|Souza,de Sousa||", "Gonçalves|Goncalves||", "Almeida|||", "Carvalho|||"};

/* ---- Arabic ---- */
static const char *const arabic[] = {
	"Mohammed|Muhammad,Mohamed,Mohammad|Mo|محمد", "Ahmed|Ahmad||أحمد",
	"Ali|||علي", "Omar|Umar||عمر", "Hassan|Hasan||حسن",
	"Hussein|Hussain,Husain||حسين", "Khalid|Khaled||خالد",
	"Youssef|Yusuf,Yousef||يوسف", "Ibrahim|Ebrahim||إبراهيم",
	"Mustafa|Mostafa||مصطفى", "Abdullah|Abdallah||عبدالله", "Karim|Kareem||كريم"};
static const char *const arabic_f[] = {
	"Fatima|Fatimah,Fatma||فاطمة", "Aisha|Ayesha,Aysha||عائشة",
	"Mariam|Maryam,Miriam||مريم", "Zainab|Zaynab||زينب", "Noor|Nour,Nur||نور",
	"Layla|Leila,Laila||ليلى", "Sara|Sarah||سارة", "Huda|Hoda||هدى",
	"Amira|Ameera||أميرة", "Yasmin|Yasmine,Jasmin||ياسمين"};
static const char *const arabic_s[] = {
	"Ali|||علي", "Hassan|Hasan||حسن", "Ibrahim|||إبراهيم",
	"Mahmoud|Mahmood,Mahmud||محمود", "Abdullah|Abdallah||عبدالله",
	"Saleh|Salih||صالح", "Al-Masri|Almasri,El-Masri||المصري", "Haddad|||حداد",
	"Khalil|||خليل", "Mansour|Mansur||منصور", "Nasser|Nasir,Naser||ناصر",
	"Hamid|Hamed||حامد"};

/* ---- Afghan (Dari and Pashto, Arabic script) ---- */
static const char *const afghan[] = {
	"Ahmad|Ahmed||احمد", "Mohammad|Mohammed,Muhammad||محمد", "Farid|Fareed||فرید",
	"Habib|||حبیب", "Karim|||کریم", "Jawad|||جواد", "Rahim|||رحیم",
	"Naveed|Navid||نوید", "Wahid|||وحید", "Sayed|Sayyid,Said||سید"};
static const char *const afghan_f[] = {
	"Fariba|||فریبا", "Malalai|||ملالی", "Shabnam|||شبنم", "Mariam|Maryam||مریم",
	"Zahra|Zohra||زهرا", "Nargis|Narges||نرگس", "Parwana|Parvana||پروانه",
	"Freshta|Fereshteh||فرشته", "Hila|||هیلا", "Lina|Leena||لینا"};
static const char *const afghan_s[] = {
	"Ahmadi|||احمدی", "Rahimi|||رحیمی", "Karimi|||کریمی", "Mohammadi|||محمدی",
	"Hashimi|Hashemi||هاشمی", "Popal|||پوپل", "Noori|Nouri||نوری",
	"Sultani|||سلطانی", "Safi|||صافی", "Stanikzai|Stanekzai||ستانکزی",
	"Haidari|Haideri,Heydari||حیدری", "Azizi|||عزیزی"};

/* ---- Ukrainian and Bulgarian (Cyrillic) ---- */
static const char *const cyrillic[] = {
	"Oleksandr|Olexandr,Alexander|Sasha|Олександр", "Dmytro|Dmitry,Dmitri||Дмитро",
	"Andriy|Andrii,Andrei||Андрій", "Serhiy|Sergiy,Sergei||Сергій", "Ivan|||Іван",
	"Georgi|Georgy||Георги", "Dimitar|||Димитър", "Nikolai|Nikolay||Николай",
	"Volodymyr||Volodya|Володимир", "Yuriy|Yuri,Iurii||Юрій"};
static const char *const cyrillic_f[] = {
	"Olena|Elena||Олена", "Nataliya|Natalia,Natalya|Natasha|Наталія",
	"Iryna|Irina||Ірина", "Tetiana|Tetyana,Tatiana|Tanya|Тетяна",
	"Oksana|||Оксана", "Yuliya|Yulia,Julia||Юлія", "Svitlana|Svetlana||Світлана",
	"Desislava|||Десислава", "Anastasiya|Anastasia|Nastya|Анастасія"};
static const char *const cyrillic_s[] = {
	"Shevchenko|||Шевченко", "Kovalenko|||Коваленко", "Bondarenko|||Бондаренко",
	"Tkachenko|||Ткаченко", "Melnyk|Melnik||Мельник", "Ivanov|||Иванов",
	"Petrov|||Петров", "Georgiev|||Георгиев", "Dimitrov|||Димитров",
	"Kravchenko|||Кравченко", "Boyko|Boiko||Бойко", "Koval|||Коваль"};

#define ORIGIN(code, script, weight, patro, dbl, arr) \
	{code, script, weight, patro, dbl, arr, arr##_f, arr##_s, \
	 lengthof(arr), lengthof(arr##_f), lengthof(arr##_s)}

const Origin synth_origins[] = {
	ORIGIN("english", NULL, 150, false, false, english),
	ORIGIN("irish", NULL, 30, false, false, irish),
	ORIGIN("gujarati", "Gujarati", 120, false, false, gujarati),
	ORIGIN("punjabi", "Gurmukhi", 40, false, false, punjabi),
	ORIGIN("tamil", "Tamil", 40, true, false, tamil),
	ORIGIN("sinhala", "Sinhala", 15, false, false, sinhala),
	ORIGIN("pakistani", "Arabic", 45, false, false, pakistani),
	ORIGIN("bangladeshi", "Bengali", 20, false, false, bangladeshi),
	ORIGIN("somali", NULL, 50, true, false, somali),
	ORIGIN("eritrean", "Ethiopic", 20, true, false, eritrean),
	ORIGIN("nigerian", NULL, 40, false, false, nigerian),
	ORIGIN("ghanaian", NULL, 30, false, false, ghanaian),
	ORIGIN("caribbean", NULL, 65, false, false, caribbean),
	ORIGIN("polish", NULL, 50, false, false, polish),
	ORIGIN("romanian", NULL, 90, false, false, romanian),
	ORIGIN("portuguese", NULL, 45, false, true, portuguese),
	ORIGIN("arabic", "Arabic", 45, false, false, arabic),
	ORIGIN("afghan", "Arabic", 30, false, false, afghan),
	ORIGIN("ukrainian_bulgarian", "Cyrillic", 25, false, false, cyrillic),
};
const int	synth_norigins = lengthof(synth_origins);

const char *const synth_street_names[] = {
	"Harrow", "Ealing", "High", "Church", "Station", "Park", "Wembley Hill",
	"Preston", "Kenton", "Kingsbury", "Salusbury", "Chamberlayne", "Willesden",
	"Dudden Hill", "Neasden", "Forty", "Brentfield", "Craven Park", "Alperton",
	"Sudbury", "Watford", "Chaplin", "Tokyngton", "Oakington", "Barn Hill",
	"Fryent", "Slough", "Dollis Hill", "Mapesbury", "Christchurch", "Walm",
	"Kilburn", "Brondesbury", "Cricklewood", "Donnington", "Anson", "Tubbs",
	"Acton", "Hillside", "Ellerslie", "Lancelot", "Carlton", "Queens",
	"Victoria", "Albert", "Stanley", "Melrose", "Elms", "Oxgate", "Crest",
	"Vale", "Meadow", "Birchen", "Linden", "Ashford", "Colin", "Stag", "Malvern"};
const int	synth_nstreet_names = lengthof(synth_street_names);

const char *const synth_street_kinds[] = {
	"Road", "Road", "Road", "Avenue", "Gardens", "Close", "Way", "Crescent",
	"Lane", "Drive", "Grove", "Place"};
const int	synth_nstreet_kinds = lengthof(synth_street_kinds);

/* Start and length of a part of a spec. */
static const char *
name_part(const char *spec, NamePart part, int *len)
{
	const char *p = spec;
	const char *end;

	for (int i = 0; i < (int) part; i++)
	{
		p = strchr(p, '|');
		if (p == NULL)
		{
			*len = 0;
			return spec + strlen(spec);
		}
		p++;
	}
	end = strchr(p, '|');
	*len = end ? (int) (end - p) : (int) strlen(p);
	return p;
}

int
name_part_count(const char *spec, NamePart part)
{
	int			len;
	const char *p = name_part(spec, part, &len);
	int			n = 1;

	if (len == 0)
		return 0;
	for (int i = 0; i < len; i++)
		if (p[i] == ',')
			n++;
	return n;
}

bool
name_part_item(const char *spec, NamePart part, int item, char *buf, int buflen)
{
	int			len;
	const char *p = name_part(spec, part, &len);
	const char *end = p + len;

	if (len == 0)
		return false;
	for (int i = 0; i < item; i++)
	{
		const char *comma = memchr(p, ',', end - p);

		if (comma == NULL)
			return false;
		p = comma + 1;
	}
	{
		const char *comma = memchr(p, ',', end - p);
		int			n = (int) ((comma ? comma : end) - p);

		if (n >= buflen)
			n = buflen - 1;
		memcpy(buf, p, n);
		buf[n] = '\0';
	}
	return true;
}
