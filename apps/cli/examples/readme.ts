import { signTest, wilcoxonSignedRank } from '@sii/cli';
signTest([1, 2, 3, 4, 5, 6, 7, 8, 9, -1]).p;          // 22/1024
wilcoxonSignedRank([-1, 2, 3, 4, 5, 6]).p;             // 4/64
