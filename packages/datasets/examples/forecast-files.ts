// The README's forecasting-file example: type-checked only (it reads data files you supply).
import { loadAirQualityFile, loadActivityAuthors, loadEngine } from '@sii/datasets';
const air = await loadAirQualityFile({ path: 'AirQualityUCI.xlsx' }); // segments 800, windows 100, training stride 10
const act = loadActivityAuthors({ path: 'ConfLongDemo_JSI.txt' });      // raw units, windows 10
const eng = loadEngine({ path: 'wltp_NF.csv' });                        // segments 800, windows 400
